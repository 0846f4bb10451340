"""A provider emulator: one local HTTP server speaking the OpenAI/Groq, Cohere and Pinecone wire
formats, with settable latency, faults and limits, and counters of what it received.

See docs/emulator.md.
"""

from emulator.config import EmulatorConfig, EndpointKind
from emulator.server import RunningEmulator, running_emulator, serve

__all__ = ["EmulatorConfig", "EndpointKind", "RunningEmulator", "running_emulator", "serve"]
