"""Chat: conversations and their messages, and answering a question (cache, single flight or
the pipeline) as a streamed job."""
