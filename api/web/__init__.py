"""The reference web client (static files, no build step), served by the API at `/`."""
