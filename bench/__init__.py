"""oxdav's benchmark against Radicale and Xandikos (``./dev bench``; bench/RESULTS.md)."""
