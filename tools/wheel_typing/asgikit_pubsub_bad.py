# Deliberate type errors, one per "# ERROR" line; excluded from the project's mypy run.
from asgikit.pubsub import Broker


async def handler(broker: Broker) -> None:
    await broker.publish("room", 42)  # ERROR
    broker.subscribe("room", overflow="grow")  # ERROR
    broker.subscribe("room", maxqueue=16)  # ERROR
    async with broker.subscribe("room") as sub:
        async for message in sub:
            data: str = message.data  # ERROR
            print(data)
