"""The sender simulator and the pytest kit for processor authors.

`webhook_sim.senders` signs a delivery the way each configured source's sender does;
`webhook_sim.samples` has bodies shaped like each sender's published examples; `webhook_sim.kit`
runs the real receiver and worker on in-process moto, and `webhook_sim.pytest_plugin` makes it a
fixture (`webhooks`) wherever the project is installed.
"""

from .samples import ENCODINGS, Sample, encodings, sample
from .senders import SignedDelivery, sign, simulate

__all__ = ["ENCODINGS", "Sample", "SignedDelivery", "encodings", "sample", "sign", "simulate"]
