"""Refused actions on inspections: the message in Vietnamese and English (as reviews' errors)."""
from reviews.services.errors import ReviewError


class InspectionError(ReviewError):
    pass
