from asgikit.pubsub import Broker, MemoryBroker, Message, respond_channel_events
from asgikit.requests import Request


async def handler(request: Request, broker: Broker) -> None:
    async with broker.subscribe("room", max_queue=16, overflow="error") as sub:
        async for message in sub:
            got: Message = message
            print(got.channel, got.data, got.id)
    await broker.publish("room", "text")
    await respond_channel_events(request, MemoryBroker(history={"feed": 100}), "feed")
