package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/top"
)

// benchBody returns a signed declaration body for order i.
func benchBody(b *testing.B, i int) string {
	ak, secret, ses := DefaultCredentials()
	v := url.Values{
		"method": {MethodDeclare}, "app_key": {ak}, "session": {ses}, "timestamp": {cst.Format(t0)},
		"v": {"2.0"}, "format": {"json"}, "sign_method": {"hmac-sha256"},
		declareParam: {declareJSON(fmt.Sprint(5000000000000000000+i), 400, 300, 100, "HANGZHOU_ZS")},
	}
	s, err := top.Sign(flat(v), secret, top.SignHMACSHA256)
	if err != nil {
		b.Fatal(err)
	}
	v.Set("sign", s)
	return v.Encode()
}

// BenchmarkDeclare measures one declaration through ServeHTTP in process:
// form parsing, system checks with an hmac-sha256 signature, the strict
// argument decoding, the effect and the JSON answer.
func BenchmarkDeclare(b *testing.B) {
	g := New(Config{Now: func() time.Time { return t0 }})
	const n = 1024
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = benchBody(b, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(bodies[i%n]))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"request_success":true`) {
			b.Fatalf("answer %d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkMaterialsFor(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = MaterialsFor(int64(i+1), t0)
	}
}
