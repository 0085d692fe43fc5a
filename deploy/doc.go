// Package deploy holds no code. Its directory has the files that run
// reconcile in production (deploy/README.md says which and how), and its
// test checks them: the systemd units, the Kubernetes CronJob, the
// Dockerfile and the logrotate snippet.
package deploy
