package notify

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// limits keeps each robot to n messages per period: a sliding window of the
// times of its last n requests, by the robot's URL (its key or token; the
// signature left out). Group robots take 20 messages a minute: WeCom's
// 群机器人配置说明 says 每个机器人发送的消息不能超过20条/分钟, DingTalk
// answers 130101 "send too fast, exceed 20 times per minute" (and
// throttles the robot for 10 minutes); Feishu's custom robots take 100 a
// minute, so 20 holds for them too.
type limits struct {
	n      int
	period time.Duration

	mu    sync.Mutex
	sent  map[string][]time.Time // per robot, oldest first, at most n
	clean time.Time              // when sent was last swept of idle robots
}

func newLimits(n int, period time.Duration) *limits {
	return &limits{n: n, period: period, sent: map[string][]time.Time{}}
}

// wait waits for a slot for robot and takes it. It fails at once, rather than
// wait, when the slot comes after ctx's deadline.
func (l *limits) wait(ctx context.Context, robot string) error {
	for {
		d := l.take(robot)
		if d <= 0 {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Now().Add(d).After(deadline) {
			return fmt.Errorf("rate limit: the robot's %d messages per %s are used up in this process; the next slot is in %s, after the time left",
				l.n, l.period, d.Round(time.Second))
		}
		if err := sleep(ctx, d); err != nil {
			return fmt.Errorf("rate limit: stopped waiting for a slot: %w", err)
		}
	}
}

// take takes a slot for robot now and returns 0, or returns how long until
// one is free.
func (l *limits) take(robot string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.clean) > l.period {
		for k, ts := range l.sent {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= l.period {
				delete(l.sent, k)
			}
		}
		l.clean = now
	}
	ts := l.sent[robot]
	for len(ts) > 0 && now.Sub(ts[0]) >= l.period {
		ts = ts[1:]
	}
	if len(ts) >= l.n {
		l.sent[robot] = ts
		return ts[0].Add(l.period).Sub(now)
	}
	l.sent[robot] = append(ts, now)
	return 0
}
