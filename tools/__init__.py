"""Standard-library scripts that check, test and release the asgikit workspace."""
