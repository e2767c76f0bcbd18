"""The human side of propa: articles -> sentences (text/), Label Studio (studio/), annotation
quality (quality/), sources (sources/), the taxonomy and the cue rules; the `propa` command (cli/).

Nothing heavy is imported here, so `propa --help` stays instant. Nothing under annotate/ imports
train/, except the command line (annotate/cli/), which joins both.
"""

__version__ = "0.1.0"
