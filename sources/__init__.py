"""Sources wing: fetch funding calls from the world and parse them into CallRecords.

A library: it never imports ``monitor``. See ARCHITECTURE.md.
"""
