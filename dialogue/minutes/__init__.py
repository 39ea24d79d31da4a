"""The minutes (biên bản) and the conclusion notice (thông báo kết luận): compose, approve, publish."""
