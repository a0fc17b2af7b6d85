"""A scriptable gateway for tests: each send pops the next outcome."""

from samen.messaging.gateways import Gateway, TransportError


class ScriptedGateway(Gateway):
    outcomes: list = []
    sent: list = []

    def send(self, outbound):
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, BaseException):
            raise outcome
        type(self).sent.append(outbound.pk)
        return f"fake-{outbound.pk}"


def script(*outcomes):
    ScriptedGateway.outcomes = list(outcomes)
    ScriptedGateway.sent = []


def transient(message="busy"):
    return TransportError(message)


def permanent(message="unknown number"):
    return TransportError(message, permanent=True)
