"""Serving: `loglens serve` (launch.py) starts Granian or Gunicorn (server.py), and below them the connection
between the HTTP servers and the WSGI app: no request thread ever waits on a client.

Both servers buffer a request's head and body off the request threads, with a deadline
(server.client_timeout_seconds) and the server.max_body_bytes limit, and only then hand the complete request
to a thread that runs the app: Granian through `rsgi.BufferedWSGI` (its async RSGI interface), Gunicorn
through `gthread.BufferingThreadWorker` (its poller). See the README's thread map.
"""
