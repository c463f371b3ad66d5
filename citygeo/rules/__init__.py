"""Pure rules of the domain: privacy, survey estimates, online signals, registers, freshness."""
