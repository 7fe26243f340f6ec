"""Foundation: configuration, errors, Redis key names, the vocabulary, the clock, the services object and the task seam."""
