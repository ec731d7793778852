"""Signal receivers of the reviews app (connected in ReviewsConfig.ready)."""
