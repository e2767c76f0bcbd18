"""Label Studio: the server propa runs, the client (the only module that imports the SDK), the
task and prediction formats, and the push of sentences and the pull of annotations."""
