# Sourced by scripts/check: run every step, remember which failed, report them all at
# the end instead of stopping at the first.
#   run_step "name" command [args...]    run one step (a command or a shell function)
#   finish_steps                         print the summary; status 1 if any step failed
failed_steps=()

run_step() {
  local name=$1 start=$SECONDS status=0
  shift
  printf '\n==> %s\n' "$name"
  "$@" || status=$?
  if [ "$status" = 0 ]; then
    printf -- '--- ok (%ds): %s\n' $((SECONDS - start)) "$name"
  else
    printf -- '--- FAILED (exit %d, %ds): %s\n' "$status" $((SECONDS - start)) "$name"
    failed_steps+=("$name")
  fi
}

finish_steps() {
  if [ ${#failed_steps[@]} = 0 ]; then
    printf '\nall checks passed\n'
    return 0
  fi
  printf '\n%d step(s) failed:\n' ${#failed_steps[@]}
  printf '  - %s\n' "${failed_steps[@]}"
  return 1
}
