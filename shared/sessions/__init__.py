"""Sessions: anonymous session tokens, their lookup, and erasing a session with everything
derived from it."""
