"""Sans-IO codecs for the frames vnetlab moves around. Frames are ``bytes``; nothing here does I/O.

Each module offers ``parse(data)`` returning a small frozen record and ``build(...)`` returning
bytes, plus fixed-offset helpers that the stack's hot path uses instead of a full parse.
"""
