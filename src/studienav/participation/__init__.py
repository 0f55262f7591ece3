"""Patient participation: expressions of interest, consent, matching and referral."""
