# server/: coordd.
