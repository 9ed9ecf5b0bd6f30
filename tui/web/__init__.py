"""`duelist web`: the annotate app served to browsers, one signed-in annotator per link.

textual-serve (which this builds on) starts one app subprocess per browser
websocket but has no sign-in and passes no identity to the app. This package adds
both: `server` checks a per-annotator token on the page and a one-time ticket on
the websocket, and starts the app (`child`) as that annotator in web mode;
`guard` holds the rate limiter and the tickets; `page` builds the HTML and the
browser script we serve instead of textual-serve's.
"""
