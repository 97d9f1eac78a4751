"""Chapter logic: each module declares its chapter's PARAMETERS and holds the tested computations
its notebook calls, so the notebooks stay thin (narrative plus calls into the package)."""
