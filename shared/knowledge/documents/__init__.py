"""Knowledge-base files (PDF, Markdown, text, JSONL) parsed, chunked and categorised."""
