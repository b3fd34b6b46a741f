"""etcd snapshots: files, destinations (a local folder, an S3-compatible bucket), encryption, and when one is due."""
