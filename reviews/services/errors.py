class ReviewError(Exception):
    """A refused action on a report, with its message in Vietnamese and English."""

    def __init__(self, message_vi: str, message_en: str, *, code: str = "invalid"):
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.message_en = message_en
        self.code = code

    def __str__(self):
        return self.message_vi
