"""Mail that leaves the building: an outbox written with the change, sent by the job worker."""
