"""Measuring one request as it runs: elapsed time, and records that the code a request calls
fills in without passing them along (retrieval timings, provider calls)."""
