package top_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/top"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// The client and the sandbox gateway agree on every sign method, on the
// envelopes (plain and simplified) and on what each failure means.
func TestClientAgreesWithSandbox(t *testing.T) {
	gw := sandbox.New(sandbox.Config{AppKey: "12345678", Secret: "agree-secret", Session: "agree-session"})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	url := srv.URL + sandbox.Path

	newClient := func(t *testing.T, opts ...top.Option) *top.Client {
		t.Helper()
		base := []top.Option{top.WithGateway(url), top.WithAppKey("12345678"), top.WithSecret("agree-secret"), top.WithSession("agree-session")}
		c, err := top.NewClient(append(base, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	order := int64(5118609024991031601)
	for _, m := range []top.SignMethod{top.SignMD5, top.SignHMAC, top.SignHMACSHA256} {
		for _, simplify := range []bool{false, true} {
			c := newClient(t, top.WithSignMethod(m), top.WithSimplify(simplify))
			name := string(m)
			if simplify {
				name += " simplified"
			}
			d, err := c.ClearanceDeclareWechat(ctx, top.WechatPayValidateReq{OrderID: "5118609024991031601", TransactionID: "4200002026112000000000000001",
				Customs: "NINGBO", OrderFee: 13800, ProductFee: 12800, TransportFee: 1000})
			if err != nil || !d.Accepted() || d.RequestID == "" {
				t.Errorf("%s: declare = %+v, %v; want accepted with a request id", name, d, err)
			}
			cb, err := c.ClearanceInfoSend(ctx, top.OrderClearanceInfoRequest{Idempotent: "K-" + name, OrderID: order, ClearanceStatus: 1,
				ClearanceTime: time.Now(), ClearancePortNo: "2991", CustomsReturnReceipt: "订单已放行/..."})
			if err != nil || !cb.Sent() {
				t.Errorf("%s: callback = %+v, %v; want sent", name, cb, err)
			}
			mg, err := c.ClearanceDistributionGet(ctx, top.ClearanceDistributionGetRequest{OrderID: order})
			if err != nil || !mg.Found() || int64(mg.Materials().OrderID) != order {
				t.Errorf("%s: materials = %+v, %v; want found for order %d", name, mg, err, order)
			}
		}
	}
	if d, ok := gw.Declaration("5118609024991031601"); !ok || d.OrderFee != 13800 || d.TransactionID != "4200002026112000000000000001" {
		t.Errorf("the gateway holds %+v", d)
	}

	failures := []struct {
		name      string
		opts      []top.Option
		wantCode  int
		wantClass top.Class
	}{
		{"wrong secret", []top.Option{top.WithSecret("not-the-secret")}, top.CodeInvalidSignature, top.Fatal},
		{"wrong secret, hmac", []top.Option{top.WithSecret("not-the-secret"), top.WithSignMethod(top.SignHMAC)}, top.CodeInvalidSignature, top.Fatal},
		{"clock 8 hours off", []top.Option{top.WithClock(func() time.Time { return time.Now().Add(-8 * time.Hour) })}, top.CodeInvalidTimestamp, top.Fatal},
		{"clock 11 minutes ahead", []top.Option{top.WithClock(func() time.Time { return time.Now().Add(11 * time.Minute) })}, top.CodeInvalidTimestamp, top.Fatal},
		{"wrong session", []top.Option{top.WithSession("expired")}, top.CodeInvalidSession, top.Fatal},
		{"wrong app key", []top.Option{top.WithAppKey("87654321")}, top.CodeInvalidAppKey, top.Fatal},
	}
	for _, tt := range failures {
		c := newClient(t, tt.opts...)
		_, err := c.ClearanceInfoSend(ctx, top.OrderClearanceInfoRequest{Idempotent: "K", OrderID: order, ClearanceStatus: 1})
		var e *top.Error
		if !errors.As(err, &e) || e.Code != tt.wantCode || e.RequestID == "" {
			t.Errorf("%s: err = %v, want code %d with a request id", tt.name, err, tt.wantCode)
			continue
		}
		if class, _ := top.Classify(err); class != tt.wantClass {
			t.Errorf("%s: class = %v, want %v", tt.name, class, tt.wantClass)
		}
	}

	// A clock 9 minutes behind is within the platform's 10-minute skew.
	c := newClient(t, top.WithClock(func() time.Time { return time.Now().Add(-9 * time.Minute) }))
	if _, err := c.ClearanceInfoSend(ctx, top.OrderClearanceInfoRequest{Idempotent: "K9", OrderID: order, ClearanceStatus: 1}); err != nil {
		t.Errorf("9 minutes of skew: %v", err)
	}
}
