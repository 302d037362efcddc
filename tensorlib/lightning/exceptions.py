"""Lightning's exception type for a Trainer/callback set up in a way that cannot work."""


class MisconfigurationException(Exception):
    """Raised when the Trainer, a callback or a LightningModule is configured inconsistently."""
