package deploy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// The schedule of every deploy file: 10:30 in Asia/Shanghai, after WeChat
// Pay's bills for yesterday exist (from about 09:00-10:00 UTC+8).
const (
	zone       = "Asia/Shanghai"
	billsReady = 10 * time.Hour // the latest the bills appear, after midnight UTC+8
)

// The subset of the Kubernetes objects the manifest uses, decoded with
// KnownFields: a misspelt or misplaced field is an error, as it is to the
// API server.
type (
	objectMeta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	}
	header struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
	}
	persistentVolumeClaim struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   objectMeta `yaml:"metadata"`
		Spec       struct {
			AccessModes      []string `yaml:"accessModes"`
			StorageClassName *string  `yaml:"storageClassName"`
			Resources        struct {
				Requests map[string]string `yaml:"requests"`
			} `yaml:"resources"`
		} `yaml:"spec"`
	}
	configMap struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   objectMeta        `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
	}
	cronJob struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   objectMeta `yaml:"metadata"`
		Spec       struct {
			Schedule                   string `yaml:"schedule"`
			TimeZone                   string `yaml:"timeZone"`
			ConcurrencyPolicy          string `yaml:"concurrencyPolicy"`
			StartingDeadlineSeconds    *int64 `yaml:"startingDeadlineSeconds"`
			SuccessfulJobsHistoryLimit *int   `yaml:"successfulJobsHistoryLimit"`
			FailedJobsHistoryLimit     *int   `yaml:"failedJobsHistoryLimit"`
			JobTemplate                struct {
				Metadata objectMeta `yaml:"metadata"`
				Spec     jobSpec    `yaml:"spec"`
			} `yaml:"jobTemplate"`
		} `yaml:"spec"`
	}
	jobSpec struct {
		BackoffLimit     *int `yaml:"backoffLimit"`
		PodFailurePolicy *struct {
			Rules []struct {
				Action      string `yaml:"action"`
				OnExitCodes *struct {
					ContainerName string `yaml:"containerName"`
					Operator      string `yaml:"operator"`
					Values        []int  `yaml:"values"`
				} `yaml:"onExitCodes"`
				OnPodConditions []struct {
					Type string `yaml:"type"`
				} `yaml:"onPodConditions"`
			} `yaml:"rules"`
		} `yaml:"podFailurePolicy"`
		ActiveDeadlineSeconds   *int64 `yaml:"activeDeadlineSeconds"`
		TTLSecondsAfterFinished *int64 `yaml:"ttlSecondsAfterFinished"`
		Template                struct {
			Metadata objectMeta `yaml:"metadata"`
			Spec     podSpec    `yaml:"spec"`
		} `yaml:"template"`
	}
	podSpec struct {
		RestartPolicy                 string `yaml:"restartPolicy"`
		TerminationGracePeriodSeconds *int64 `yaml:"terminationGracePeriodSeconds"`
		AutomountServiceAccountToken  *bool  `yaml:"automountServiceAccountToken"`
		EnableServiceLinks            *bool  `yaml:"enableServiceLinks"`
		ServiceAccountName            string `yaml:"serviceAccountName"`
		SecurityContext               struct {
			RunAsNonRoot        *bool  `yaml:"runAsNonRoot"`
			RunAsUser           *int64 `yaml:"runAsUser"`
			RunAsGroup          *int64 `yaml:"runAsGroup"`
			FSGroup             *int64 `yaml:"fsGroup"`
			FSGroupChangePolicy string `yaml:"fsGroupChangePolicy"`
			SeccompProfile      *struct {
				Type string `yaml:"type"`
			} `yaml:"seccompProfile"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []volume    `yaml:"volumes"`
	}
	container struct {
		Name            string   `yaml:"name"`
		Image           string   `yaml:"image"`
		ImagePullPolicy string   `yaml:"imagePullPolicy"`
		Command         []string `yaml:"command"`
		Args            []string `yaml:"args"`
		Env             []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
			SubPath   string `yaml:"subPath"`
		} `yaml:"volumeMounts"`
	}
	volume struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName  string `yaml:"secretName"`
			DefaultMode *int   `yaml:"defaultMode"`
			Items       []struct {
				Key  string `yaml:"key"`
				Path string `yaml:"path"`
			} `yaml:"items"`
		} `yaml:"secret"`
		EmptyDir *struct {
			Medium    string `yaml:"medium"`
			SizeLimit string `yaml:"sizeLimit"`
		} `yaml:"emptyDir"`
	}
)

// manifest is cronjob.yaml, decoded.
type manifest struct {
	pvcs       []persistentVolumeClaim
	configMaps []configMap
	cronJobs   []cronJob
}

// decodeStrict decodes one YAML document into v, refusing unknown fields.
func decodeStrict(doc []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func readManifest(t *testing.T, file string) manifest {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		var h header
		if err := yaml.Unmarshal([]byte(doc), &h); err != nil {
			t.Fatalf("%s: document %d: %v", file, i, err)
		}
		var err error
		switch h.Kind {
		case "":
			continue // comments only
		case "PersistentVolumeClaim":
			var o persistentVolumeClaim
			err = decodeStrict([]byte(doc), &o)
			m.pvcs = append(m.pvcs, o)
		case "ConfigMap":
			var o configMap
			err = decodeStrict([]byte(doc), &o)
			m.configMaps = append(m.configMaps, o)
		case "CronJob":
			var o cronJob
			err = decodeStrict([]byte(doc), &o)
			m.cronJobs = append(m.cronJobs, o)
		default:
			t.Errorf("%s: document %d: kind %q, which this test does not know", file, i, h.Kind)
		}
		if err != nil {
			t.Errorf("%s: document %d (%s): %v", file, i, h.Kind, err)
		}
	}
	return m
}

// flagValue returns the value after flag in args ("" when absent).
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func TestCronJob(t *testing.T) {
	m := readManifest(t, "kubernetes/cronjob.yaml")
	if len(m.cronJobs) != 1 || len(m.pvcs) != 1 || len(m.configMaps) != 1 {
		t.Fatalf("%d CronJobs, %d PersistentVolumeClaims, %d ConfigMaps; want one each", len(m.cronJobs), len(m.pvcs), len(m.configMaps))
	}
	cj, pvc, cm := m.cronJobs[0], m.pvcs[0], m.configMaps[0]
	for _, h := range []struct{ got, want string }{
		{cj.APIVersion + " " + cj.Kind, "batch/v1 CronJob"},
		{pvc.APIVersion + " " + pvc.Kind, "v1 PersistentVolumeClaim"},
		{cm.APIVersion + " " + cm.Kind, "v1 ConfigMap"},
	} {
		if h.got != h.want {
			t.Errorf("apiVersion and kind %q, want %q", h.got, h.want)
		}
	}

	t.Run("schedule", func(t *testing.T) {
		s := cj.Spec
		if s.TimeZone != zone {
			t.Errorf("timeZone %q, want %q", s.TimeZone, zone)
		}
		sched, err := cron.ParseStandard(s.Schedule)
		if err != nil {
			t.Fatalf("schedule %q: %v", s.Schedule, err)
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		midnight := time.Date(2026, 11, 21, 0, 0, 0, 0, loc)
		next := sched.Next(midnight)
		if got := next.Sub(midnight); got < billsReady || got >= 24*time.Hour {
			t.Errorf("schedule %q runs at %s: want once a day, after %v UTC+8 when the bills exist", s.Schedule, next.Format("15:04"), billsReady)
		}
		if again := sched.Next(next); again.Sub(next) != 24*time.Hour {
			t.Errorf("schedule %q: runs at %s and %s, want once a day", s.Schedule, next, again)
		}
		if s.ConcurrencyPolicy != "Forbid" {
			t.Errorf("concurrencyPolicy %q, want Forbid", s.ConcurrencyPolicy)
		}
		// Long enough to survive a controller restart (an hour and more),
		// short enough that a late start is still the same day in UTC+8,
		// whose yesterday is the window.
		latest := 24*time.Hour - next.Sub(midnight)
		if d := s.StartingDeadlineSeconds; d == nil || time.Duration(*d)*time.Second < time.Hour || time.Duration(*d)*time.Second >= latest {
			t.Errorf("startingDeadlineSeconds %s, want at least an hour and less than %v", show(d), latest)
		}
	})

	job := cj.Spec.JobTemplate.Spec
	pod := job.Template.Spec
	t.Run("job", func(t *testing.T) {
		if job.BackoffLimit == nil || *job.BackoffLimit > 3 {
			t.Errorf("backoffLimit %s, want 0 to 3", show(job.BackoffLimit))
		}
		if pod.RestartPolicy != "Never" {
			t.Errorf("restartPolicy %q, want Never", pod.RestartPolicy)
		}
		if job.ActiveDeadlineSeconds == nil || *job.ActiveDeadlineSeconds <= 0 {
			t.Errorf("activeDeadlineSeconds %s, want a bound on a hung run", show(job.ActiveDeadlineSeconds))
		}
		// A usage error (2) fails the Job at once: a retry fails the same.
		failsOnUsage := false
		if p := job.PodFailurePolicy; p != nil {
			for _, r := range p.Rules {
				if r.Action == "FailJob" && r.OnExitCodes != nil && r.OnExitCodes.Operator == "In" && slices.Contains(r.OnExitCodes.Values, 2) {
					failsOnUsage = true
				}
			}
		}
		if job.BackoffLimit != nil && *job.BackoffLimit > 0 && !failsOnUsage {
			t.Error("retries without a podFailurePolicy that fails the Job on exit status 2")
		}
	})

	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	mounts := map[string]string{} // volume name → mount path
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
	}
	volumes := map[string]volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
		if _, ok := mounts[v.Name]; !ok {
			t.Errorf("volume %s is not mounted", v.Name)
		}
	}
	for name := range mounts {
		if _, ok := volumes[name]; !ok {
			t.Errorf("mount of %s: no such volume", name)
		}
	}
	// mountOf returns the mount path of the volume whose kind is set.
	mountOf := func(kind func(volume) bool) (volume, string) {
		for _, v := range pod.Volumes {
			if kind(v) {
				return v, mounts[v.Name]
			}
		}
		return volume{}, ""
	}

	t.Run("non-root", func(t *testing.T) {
		sc := pod.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Error("pod: runAsNonRoot is not true")
		}
		if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("pod: runAsUser %s, want a user other than root", show(sc.RunAsUser))
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != "RuntimeDefault" {
			t.Error("pod: no RuntimeDefault seccomp profile")
		}
		csc := c.SecurityContext
		if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			t.Error("container: allowPrivilegeEscalation is not false")
		}
		if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
			t.Error("container: readOnlyRootFilesystem is not true")
		}
		if !slices.Contains(csc.Capabilities.Drop, "ALL") {
			t.Errorf("container: capabilities drop %v, want ALL", csc.Capabilities.Drop)
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Error("pod: the service account token is mounted; the job needs none")
		}
		// A read-only root needs a writable /tmp for large workbooks.
		if v, ok := volumes[nameMountedAt(mounts, "/tmp")]; !ok || v.EmptyDir == nil {
			t.Error("no emptyDir at /tmp under readOnlyRootFilesystem")
		}
	})

	t.Run("resources", func(t *testing.T) {
		for _, k := range []string{"cpu", "memory"} {
			if c.Resources.Requests[k] == "" {
				t.Errorf("no %s request", k)
			}
		}
		if c.Resources.Limits["memory"] == "" {
			t.Error("no memory limit")
		}
	})

	t.Run("secrets", func(t *testing.T) {
		secretVol, secretMount := mountOf(func(v volume) bool { return v.Secret != nil })
		if secretVol.Secret == nil {
			t.Fatal("no Secret volume")
		}
		secret := secretVol.Secret.SecretName
		if m := secretVol.Secret.DefaultMode; m == nil || *m&0o007 != 0 {
			t.Errorf("the Secret's files have mode %s, want none for others (0440 or 0400)", showMode(m))
		}
		items := map[string]bool{}
		for _, it := range secretVol.Secret.Items {
			items[path.Join(secretMount, it.Path)] = true
		}
		for _, flag := range []string{"--secret-file", "--session-file"} {
			f := flagValue(c.Args, flag)
			if f == "" {
				t.Errorf("no %s: the app secret and the session come from the Secret's files", flag)
				continue
			}
			if !under(f, secretMount) || (len(items) > 0 && !items[f]) {
				t.Errorf("%s %s is no file of the Secret %s mounted at %s", flag, f, secret, secretMount)
			}
		}
		appKey := false
		for _, e := range c.Env {
			switch e.Name {
			case "TOP_APP_SECRET", "TOP_SESSION":
				t.Errorf("%s in the environment: use the Secret's files", e.Name)
			case "TOP_APP_KEY":
				appKey = e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secret
			}
			if e.Value != "" && strings.Contains(strings.ToLower(e.Name), "secret") {
				t.Errorf("%s has a literal value", e.Name)
			}
		}
		if !appKey {
			t.Errorf("TOP_APP_KEY is not read from the Secret %s", secret)
		}
	})

	t.Run("journal on the volume", func(t *testing.T) {
		dataVol, dataMount := mountOf(func(v volume) bool { return v.PersistentVolumeClaim != nil })
		if dataVol.PersistentVolumeClaim == nil {
			t.Fatal("no PersistentVolumeClaim volume")
		}
		if got := dataVol.PersistentVolumeClaim.ClaimName; got != pvc.Metadata.Name {
			t.Errorf("claimName %q, want the manifest's claim %q", got, pvc.Metadata.Name)
		}
		if !slices.Equal(pvc.Spec.AccessModes, []string{"ReadWriteOnce"}) {
			t.Errorf("accessModes %v, want ReadWriteOnce (a block volume: SQLite's lock and WAL need a local file system)", pvc.Spec.AccessModes)
		}
		if pvc.Spec.Resources.Requests["storage"] == "" {
			t.Error("the claim requests no storage")
		}

		cfgVol, cfgMount := mountOf(func(v volume) bool { return v.ConfigMap != nil })
		if cfgVol.ConfigMap == nil || cfgVol.ConfigMap.Name != cm.Metadata.Name {
			t.Fatalf("no volume of the ConfigMap %s", cm.Metadata.Name)
		}
		configFile := flagValue(c.Args, "--config")
		if len(c.Args) == 0 || c.Args[0] != "run" || configFile == "" {
			t.Fatalf("args %q, want run --config FILE", c.Args)
		}
		rel, err := filepath.Rel(cfgMount, configFile)
		if err != nil || strings.Contains(rel, "/") {
			t.Fatalf("--config %s is not in the ConfigMap mounted at %s", configFile, cfgMount)
		}
		text, ok := cm.Data[rel]
		if !ok {
			t.Fatalf("the ConfigMap has no key %s", rel)
		}
		var settings map[string]any
		if _, err := toml.Decode(text, &settings); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		for key := range settings {
			if strings.Contains(key, "secret") && key != "secret_file" || strings.Contains(key, "session") && key != "session_file" {
				t.Errorf("%s: key %s would hold a credential", rel, key)
			}
		}
		for _, key := range []string{"state", "report"} {
			v, _ := settings[key].(string)
			if v == "" || !under(v, dataMount) {
				t.Errorf("%s: %s = %q, want a path on the volume %s", rel, key, v, dataMount)
			}
		}
	})

	t.Run("pushgateway", func(t *testing.T) {
		gw := flagValue(c.Args, "--pushgateway")
		u, err := url.Parse(gw)
		if gw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Errorf("--pushgateway %q, want an http(s) URL", gw)
		}
		if u != nil && u.User != nil {
			t.Error("--pushgateway carries credentials in the manifest")
		}
	})
}

// show is *p, or "none".
func show[T any](p *T) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func showMode(m *int) string {
	if m == nil {
		return "none"
	}
	return fmt.Sprintf("%#o", *m)
}

func nameMountedAt(mounts map[string]string, p string) string {
	for name, mp := range mounts {
		if mp == p {
			return name
		}
	}
	return ""
}

// unit is a systemd unit file: section → key → values, in order.
type unit map[string]map[string][]string

func readUnit(t *testing.T, file string) unit {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		case strings.HasSuffix(line, "\\"):
			t.Errorf("%s:%d: a continued line; keep each setting on one line", file, n)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Errorf("%s:%d: %q is no setting of a section", file, n, line)
				continue
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one returns the single value of key, "" (and an error) otherwise.
func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	vs := u[section][key]
	if len(vs) != 1 {
		t.Errorf("[%s] %s: %d values %q, want one", section, key, len(vs), vs)
		return ""
	}
	return vs[0]
}

func TestSystemdUnits(t *testing.T) {
	svc := readUnit(t, "systemd/reconcile.service")
	timer := readUnit(t, "systemd/reconcile.timer")

	t.Run("timer", func(t *testing.T) {
		for key, want := range map[string]string{
			"OnCalendar": "*-*-* 10:30:00 " + zone,
			"Persistent": "true",
			"Unit":       "reconcile.service",
		} {
			if got := timer.one(t, "Timer", key); got != want {
				t.Errorf("[Timer] %s=%s, want %s", key, got, want)
			}
		}
		if got := timer.one(t, "Install", "WantedBy"); got != "timers.target" {
			t.Errorf("[Install] WantedBy=%s, want timers.target", got)
		}
	})

	t.Run("service", func(t *testing.T) {
		for key, want := range map[string]string{
			"Type":            "oneshot",
			"ProtectSystem":   "strict",
			"ProtectHome":     "yes",
			"NoNewPrivileges": "yes",
			"PrivateTmp":      "yes",
			"UMask":           "0027",
		} {
			if got := svc.one(t, "Service", key); got != want {
				t.Errorf("[Service] %s=%s, want %s", key, got, want)
			}
		}
		if user := svc.one(t, "Service", "User"); user == "" || user == "root" || user == "0" {
			t.Errorf("[Service] User=%q, want a dedicated user", user)
		}
		if env := svc.one(t, "Service", "EnvironmentFile"); !strings.HasPrefix(strings.TrimPrefix(env, "-"), "/etc/reconcile/") {
			t.Errorf("[Service] EnvironmentFile=%s, want a file in /etc/reconcile", env)
		}
		exec := strings.Fields(svc.one(t, "Service", "ExecStart"))
		if len(exec) < 4 || !strings.HasPrefix(exec[0], "/") || !slices.Equal(exec[1:4], []string{"run", "--config", "/etc/reconcile/reconcile.toml"}) {
			t.Errorf("ExecStart %q, want /…/reconcile run --config /etc/reconcile/reconcile.toml …", exec)
		}
		var writable []string
		for _, v := range svc["Service"]["ReadWritePaths"] {
			writable = append(writable, strings.Fields(v)...)
		}
		metrics := flagValue(exec, "--metrics-file")
		if !strings.HasSuffix(metrics, ".prom") {
			t.Errorf("--metrics-file %q, want a .prom file in node_exporter's textfile directory", metrics)
		}
		if !slices.Contains(writable, filepath.Dir(metrics)) {
			t.Errorf("ReadWritePaths %q lacks the metrics file's directory %s", writable, filepath.Dir(metrics))
		}
		// The journal and the workbooks, as deploy/README.md's config sets them.
		for _, dir := range []string{"/var/lib/reconcile", "/srv/reconcile/reports"} {
			if !slices.Contains(writable, dir) {
				t.Errorf("ReadWritePaths %q lacks %s", writable, dir)
			}
		}
		readme, err := os.ReadFile("README.md")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`state        = "/var/lib/reconcile/reconcile.db"`, `report       = "/srv/reconcile/reports/"`} {
			if !bytes.Contains(readme, []byte(want)) {
				t.Errorf("deploy/README.md's config lacks %s", want)
			}
		}
		// A hung run must end; the oneshot default would be no timeout.
		if svc.one(t, "Service", "TimeoutStartSec") == "" {
			t.Error("no TimeoutStartSec")
		}
	})

	t.Run("the CronJob runs at the same time", func(t *testing.T) {
		m := readManifest(t, "kubernetes/cronjob.yaml")
		if len(m.cronJobs) != 1 {
			t.Fatal("no CronJob")
		}
		cal := strings.Fields(timer.one(t, "Timer", "OnCalendar")) // *-*-* 10:30:00 Asia/Shanghai
		if len(cal) != 3 {
			t.Fatalf("OnCalendar %q", cal)
		}
		hms := strings.Split(cal[1], ":")
		if want := strings.TrimLeft(hms[1], "0") + " " + strings.TrimLeft(hms[0], "0") + " * * *"; m.cronJobs[0].Spec.Schedule != want || m.cronJobs[0].Spec.TimeZone != cal[2] {
			t.Errorf("CronJob %q %s, timer %s: want the same time", m.cronJobs[0].Spec.Schedule, m.cronJobs[0].Spec.TimeZone, cal[1:])
		}
	})

	t.Run("systemd-analyze verify", func(t *testing.T) {
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("systemd-analyze is not installed")
		}
		// verify wants ExecStart's program to exist: stand in true(1).
		stand, err := exec.LookPath("true")
		if err != nil {
			t.Skip("no true(1) to stand in for the binary")
		}
		dir := t.TempDir()
		for _, name := range []string{"reconcile.service", "reconcile.timer"} {
			b, err := os.ReadFile(filepath.Join("systemd", name))
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.ReplaceAll(b, []byte("ExecStart=/usr/local/bin/reconcile "), []byte("ExecStart="+stand+" "))
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := run(t, analyze, "verify", "--man=no", filepath.Join(dir, "reconcile.service"), filepath.Join(dir, "reconcile.timer"))
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		out, err = run(t, analyze, "calendar", timer.one(t, "Timer", "OnCalendar"))
		// Asia/Shanghai keeps no daylight saving time: 10:30 is 02:30 UTC.
		if err != nil || !bytes.Contains(out, []byte("02:30:00 UTC")) {
			t.Errorf("systemd-analyze calendar: %v\n%s", err, out)
		}
	})
}

// run runs a checking tool, bounded, and returns what it printed.
func run(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=warning", "SYSTEMD_COLORS=0", "TZ=UTC")
	return cmd.CombinedOutput()
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continued lines, drop comments.
	text := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(b), " ")
	var froms, users []string
	var entrypoint string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			froms = append(froms, rest)
		case "USER":
			users = append(users, rest)
		case "ENTRYPOINT":
			entrypoint = rest
		}
	}
	if len(froms) < 2 {
		t.Errorf("%d stages, want a multi-stage build", len(froms))
	}
	if final := froms[len(froms)-1]; !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final stage FROM %s, want distroless static or scratch", final)
	}
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("the build does not set CGO_ENABLED=0: the binary would not be static")
	}
	if !strings.Contains(text, "-X main.version=") {
		t.Error("the build does not stamp the version")
	}
	if !regexp.MustCompile(`COPY --from=\S+ \S+ /reconcile\n`).MatchString(text) {
		t.Error("no COPY --from=… of the binary to /reconcile")
	}
	if len(users) == 0 {
		t.Fatal("no USER: the image would run as root")
	}
	user, _, _ := strings.Cut(users[len(users)-1], ":")
	if user == "root" || user == "0" || !regexp.MustCompile(`^[1-9][0-9]*$`).MatchString(user) {
		t.Errorf("USER %s, want a numeric user other than root (runAsNonRoot can check only a number)", users[len(users)-1])
	}
	if entrypoint != `["/reconcile"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/reconcile\"]", entrypoint)
	}
}

func TestLogrotate(t *testing.T) {
	b, err := os.ReadFile("logrotate/reconcile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	const log = "/var/log/reconcile/reconcile.log"
	if !strings.Contains(text, log+" {") {
		t.Fatalf("no stanza for %s", log)
	}
	// The same file the unit's commented StandardOutput= names.
	svc, err := os.ReadFile("systemd/reconcile.service")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svc, []byte("append:"+log)) {
		t.Errorf("the service's StandardOutput=append: does not name %s", log)
	}
	for _, want := range []string{"missingok", "notifempty", "rotate ", "su reconcile ", "create 0640 "} {
		if !strings.Contains(text, "\t"+want) {
			t.Errorf("no %q", want)
		}
	}

	t.Run("logrotate", func(t *testing.T) {
		bin, err := exec.LookPath("logrotate")
		if err != nil {
			if bin, err = exec.LookPath("/usr/sbin/logrotate"); err != nil {
				t.Skip("logrotate is not installed")
			}
		}
		if os.Geteuid() != 0 {
			t.Skip("logrotate's su needs root")
		}
		// Rotate a copy three times in a temporary directory, as root.
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		conf := strings.NewReplacer("/var/log/reconcile", dir, "su reconcile adm", "su root root", "create 0640 reconcile adm", "create 0640 root root").Replace(text)
		confFile := filepath.Join(t.TempDir(), "reconcile")
		if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		state := filepath.Join(t.TempDir(), "state")
		for i := range 3 {
			f, err := os.OpenFile(filepath.Join(dir, "reconcile.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("a run's log line\n")
			f.Close()
			if out, err := run(t, bin, "-f", "-s", state, confFile); err != nil || len(out) > 0 {
				t.Fatalf("rotation %d: %v\n%s", i+1, err, out)
			}
		}
		var names []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := []string{"reconcile.log", "reconcile.log.1", "reconcile.log.2.gz", "reconcile.log.3.gz"}; !slices.Equal(names, want) {
			t.Errorf("after three rotations: %q, want %q", names, want)
		}
	})
}

func TestREADMENamesEveryFile(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"systemd/reconcile.service", "systemd/reconcile.timer", "kubernetes/cronjob.yaml", "Dockerfile", "logrotate/reconcile"} {
		if !bytes.Contains(readme, []byte(f)) {
			t.Errorf("deploy/README.md does not mention %s", f)
		}
	}
	if !bytes.Contains(readme, []byte("10:30")) {
		t.Error("deploy/README.md does not say why 10:30")
	}
}
