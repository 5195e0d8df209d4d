"""Staff web pages: each module serves one process; views parse input, call one read or write, render."""
