"""Engines: stateful processors that turn what the daemon hears into what it plays."""
