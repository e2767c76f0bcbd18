"""What every `propa` command shares: one error line and exit status 1 for any error a user can cause."""

from __future__ import annotations

import click

from annotate.errors import PropaError

# Packages of the `train` extra: a command that needs one says how to install it.
OPTIONAL_PACKAGES = {"torch", "transformers", "accelerate", "sentencepiece", "sklearn", "scipy", "safetensors",
                     "google"}


class PropaGroup(click.Group):
    """A command group that turns a PropaError into one line and exit status 1, names the extra to
    install when a training package is missing, and lists its commands in the order they were added."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PropaError as err:
            raise click.ClickException(str(err)) from None
        except ModuleNotFoundError as err:
            if err.name and err.name.split(".")[0] in OPTIONAL_PACKAGES:
                raise click.ClickException(f"{err.name} is not installed; install the training extras: "
                                           "pip install 'torch==2.13.0' -e '.[train]'") from None
            raise
