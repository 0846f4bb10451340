"""Streamed jobs: work queued by the API whose output streams to the client as job events
(chat answers, blood-work analyses).

- `failures`: the errors a client sees and which failures earn another attempt;
- `attempt`: one attempt, fenced by its number, from start to `done` or `error`;
- `tries`: how attempts map onto ARQ's tries, retries and the lease that hands a job over.
"""
