"""Process: the worker, the processors and the HTTP destinations a delivery goes to."""
