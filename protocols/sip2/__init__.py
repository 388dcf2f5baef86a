"""SIP2 for self-check kiosks: ``codec`` reads and writes the messages, ``messages`` answers
each through circulation's services, ``server`` serves the connections (``manage.py
sip2_server``)."""
