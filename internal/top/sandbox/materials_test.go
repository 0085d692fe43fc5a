package sandbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/idcard"
)

func TestMaterialsGenerated(t *testing.T) {
	e := newEnv(t, Config{})
	ids := []int64{1, 7, 1234567, 1460536261312998, 2531111111111111111, 9223372036854775807}
	for i := int64(0); i < 200; i++ {
		ids = append(ids, 3000000000000000000+i*7919)
	}
	permanent := 0
	for _, id := range ids {
		s := strconv.FormatInt(id, 10)
		r := e.call(MethodMaterials, map[string]string{"order_id": s})
		b := r.bodyOf(t, MethodMaterials)
		if path(b, "result.success") != true {
			t.Fatalf("order %d: %s", id, r.body)
		}
		name, _ := path(b, "result.module.ocr_name").(string)
		num, _ := path(b, "result.module.ocr_id").(string)
		exp, _ := path(b, "result.module.ocr_exp").(string)
		if err := idcard.Check(num, t0); err != nil {
			t.Errorf("order %d: ocr_id %s: %v", id, idcard.MaskID(num), err)
		}
		if n := []rune(name); len(n) < 2 || len(n) > 4 || !allHan(name) {
			t.Errorf("order %d: ocr_name %q is not a Chinese name", id, name)
		}
		if exp == Permanent {
			permanent++
		} else if d, err := time.ParseInLocation("20060102", exp, cst.Zone); err != nil || !d.After(t0) || d.After(t0.AddDate(11, 0, 0)) {
			t.Errorf("order %d: ocr_exp %q, want a date within 11 years after %v", id, exp, t0)
		}
		if got := path(b, "result.module.order_id"); got != jsonNumber(s) {
			t.Errorf("order %d: module.order_id %v", id, got)
		}
		if path(b, "result.module.type") != jsonNumber("1") {
			t.Errorf("order %d: type %v, want 1", id, path(b, "result.module.type"))
		}
		if path(b, "result.module.credential1") != nil || path(b, "result.module.credential2") != nil {
			t.Errorf("order %d: credentials without need_image", id)
		}
		// Determinism: the same answer again, and MaterialsFor agrees.
		if again := e.call(MethodMaterials, map[string]string{"order_id": s}).bodyOf(t, MethodMaterials); path(again, "result.module.ocr_id") != num {
			t.Errorf("order %d: a second look-up gave another ID number", id)
		}
		if m := MaterialsFor(id, t0); m.ID != num || m.Name != name || m.Expiry != exp || m.Type != 1 {
			t.Errorf("order %d: MaterialsFor = %+v, the gateway served %s %s %s", id, m, name, idcard.MaskID(num), exp)
		}
	}
	if permanent == 0 || permanent > len(ids)/2 {
		t.Errorf("%d of %d expiries are 长期, want some but not most", permanent, len(ids))
	}
	if c := e.g.Counters().Materials; c.Served != 2*len(ids) {
		t.Errorf("Served = %d, want %d", c.Served, 2*len(ids))
	}

	b := e.call(MethodMaterials, map[string]string{"order_id": "42", "need_image": "true"}).bodyOf(t, MethodMaterials)
	for _, k := range []string{"credential1", "credential2"} {
		if u, _ := path(b, "result.module."+k).(string); !strings.HasPrefix(u, "https://") {
			t.Errorf("need_image=true: %s = %q, want a URL", k, u)
		}
	}
	// The expiry follows the gateway's clock.
	if m := MaterialsFor(42, t0.AddDate(30, 0, 0)); m.Expiry != Permanent && m.Expiry <= "2056" {
		t.Errorf("MaterialsFor 30 years on: expiry %s, want after 2056", m.Expiry)
	}
}

func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

func TestMaterialsArguments(t *testing.T) {
	tests := []struct {
		name string
		app  map[string]string
		want int
	}{
		{"order_id missing", map[string]string{}, 40},
		{"order_id letters", map[string]string{"order_id": "abc"}, 41},
		{"order_id float", map[string]string{"order_id": "1.5"}, 41},
		{"order_id negative", map[string]string{"order_id": "-1"}, 41},
		{"order_id zero", map[string]string{"order_id": "0"}, 41},
		{"order_id beyond int64", map[string]string{"order_id": "9223372036854775808"}, 41},
		{"need_image yes", map[string]string{"order_id": "1", "need_image": "yes"}, 41},
		{"need_image false", map[string]string{"order_id": "1", "need_image": "false"}, 0},
		{"need_image TRUE", map[string]string{"order_id": "1", "need_image": "TRUE"}, 0},
	}
	for _, tt := range tests {
		e := newEnv(t, Config{})
		r := e.call(MethodMaterials, tt.app)
		if code, _, _ := r.errorOf(t); code != tt.want {
			t.Errorf("%s: code %d, want %d: %s", tt.name, code, tt.want, r.body)
		}
	}
}

func TestMaterialsOverrides(t *testing.T) {
	file := filepath.Join(t.TempDir(), "materials.json")
	const doc = `{
  "1001": {"ocr_exp": "20200101"},
  "1002": {"ocr_id": "110105194912310021", "ocr_name": "张三"},
  "01003": {"missing": true},
  "1004": {"missing": true, "err_code": "Wrong order_id", "err_msg": "无"}
}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	over, err := LoadMaterials(file)
	if err != nil {
		t.Fatalf("LoadMaterials: %v", err)
	}
	e := newEnv(t, Config{Materials: over})
	get := func(id string) map[string]any {
		return e.call(MethodMaterials, map[string]string{"order_id": id}).bodyOf(t, MethodMaterials)
	}
	gen1001 := MaterialsFor(1001, t0)
	if b := get("1001"); path(b, "result.module.ocr_exp") != "20200101" || path(b, "result.module.ocr_id") != gen1001.ID {
		t.Errorf("1001: %v, want the expired date and the generated ID", b)
	}
	if b := get("1002"); path(b, "result.module.ocr_id") != "110105194912310021" || path(b, "result.module.ocr_name") != "张三" {
		t.Errorf("1002: %v, want the planted ID and name", b)
	}
	for id, want := range map[string][2]string{"1003": {"CERTIFY_NOT_FOUND", "未找到该订单的清关材料"}, "1004": {"Wrong order_id", "无"}} {
		b := get(id)
		if path(b, "result.success") != false || path(b, "result.err_code") != want[0] || path(b, "result.err_msg") != want[1] || path(b, "result.module") != nil {
			t.Errorf("%s: %v, want success false %s %s", id, b, want[0], want[1])
		}
	}
	if c := e.g.Counters().Materials; c.Served != 2 || c.Missing != 2 {
		t.Errorf("counters %+v, want Served 2, Missing 2", c)
	}
}

func TestLoadMaterialsErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"syntax", "{\n  \"1\": {\"ocr_exp\": \"2020\",}}", ":2:"},
		{"truncated", "{\n  \"1\": {\"ocr_exp\": \"2020\"}\n", ":3:1: unexpected end"},
		{"type", "{\n  \"1\": {\"ocr_exp\": 2020}}", ":2:"},
		{"unknown field", `{"1": {"ocr_expiry": "2020"}}`, "ocr_expiry"},
		{"key not an order id", `{"A1": {"missing": true}}`, `"A1"`},
		{"trailing data", `{} {}`, "unexpected data"},
		{"null", `null`, "null"},
		{"array", `[]`, ":1:"},
	}
	for _, tt := range tests {
		file := filepath.Join(t.TempDir(), "m.json")
		if err := os.WriteFile(file, []byte(tt.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadMaterials(file)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: LoadMaterials error %v, want one naming the file and %q", tt.name, err, tt.want)
		}
	}
	if _, err := LoadMaterials(filepath.Join(t.TempDir(), "absent.json")); err == nil {
		t.Errorf("absent file: no error")
	}
}
