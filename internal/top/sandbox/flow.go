package sandbox

import (
	"strconv"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/top"
)

// appState is the flow-control state of one app key.
type appState struct {
	tat      time.Time // GCRA theoretical arrival time; zero when idle
	banUntil time.Time
	day      cst.Date // of calls
	calls    int      // admitted on day
}

func (g *Gateway) app(appKey string) *appState {
	st := g.apps[appKey]
	if st == nil {
		st = &appState{}
		g.apps[appKey] = st
	}
	return st
}

// admit applies flow control to a call of appKey arriving at. The caller
// holds g.mu.
func (g *Gateway) admit(appKey string, at time.Time) *apiError {
	st := g.app(appKey)
	if at.Before(st.banUntil) {
		return banError(top.SubCodeAPIAccessLimited, wholeSeconds(st.banUntil.Sub(at)))
	}
	day := cst.DateOf(at)
	if g.cfg.DailyQuota > 0 {
		if day != st.day {
			st.day, st.calls = day, 0
		}
		if st.calls >= g.cfg.DailyQuota {
			g.ctr.QuotaRefused++
			return banError(top.SubCodeAppAccessLimited, wholeSeconds(day.AddDays(1).Start().Sub(at)))
		}
	}
	if l := g.cfg.RateLimit; l > 0 {
		interval := time.Second / time.Duration(l)
		tolerance := time.Second - interval + g.rateJitter
		tat := st.tat
		if tat.Before(at) {
			tat = at
		}
		if tat.Sub(at) > tolerance {
			return g.startBan(st, at)
		}
		st.tat = tat.Add(interval)
	}
	if g.cfg.DailyQuota > 0 {
		st.calls++
	}
	return nil
}

// startBan bans st's app key for the configured seconds from at and returns
// the answer. The caller holds g.mu.
func (g *Gateway) startBan(st *appState, at time.Time) *apiError {
	st.banUntil = at.Add(time.Duration(g.banSeconds) * time.Second)
	st.tat = time.Time{}
	g.ctr.BansStarted++
	return banError(top.SubCodeAPIAccessLimited, g.banSeconds)
}

func banError(subCode string, seconds int) *apiError {
	e := errCode(top.CodeAppCallLimited)
	e.subCode = subCode
	e.subMsg = "This ban will last for " + strconv.Itoa(seconds) + " more seconds"
	return e
}

// wholeSeconds rounds d up to whole seconds, at least 1.
func wholeSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
