"""Signal receivers that write changes of plans, reviews, inspections and units to the change log."""
