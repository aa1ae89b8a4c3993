package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"github.com/entrasync/entrasync/internal/entra"
)

// Batching (Graph's JSON batching guide; msgraph-sdk-go's batch request
// collection): up to 20 requests per $batch round trip. Items are
// independent; a throttled (429) or unavailable (503, 504) item is retried
// in a later batch after its own Retry-After, because the SDK does not
// retry items inside a batch.

const (
	batchSize      = 20
	maxItemRetries = 6
	// maxBatchRetries bounds the retries of a whole $batch that failed
	// (a 5xx or 429 for the batch itself, a reset connection, an empty
	// answer), with exponential backoff from batchBackoff.
	maxBatchRetries = 5
	// maxPages bounds one collection: 10,000 pages of 999 is ten million
	// objects, more than any listing entrasync makes; a server that never
	// stops paging is refused instead of followed forever.
	maxPages = 10_000
)

// batchBackoff is the first wait before a failed $batch is sent again.
var batchBackoff = time.Second

// call is one request and, once run, its response.
type call struct {
	info   *abstractions.RequestInformation
	status int
	body   json.RawMessage
	err    error
	// answered, when set, is called once the call has its last answer
	// (not one it will be sent again after), never at the same time as
	// another call's of the same runBatches.
	answered func()
}

// graphError is the error object of a failed response.
type graphError struct {
	Status  int
	Code    string
	Message string
}

func (e *graphError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Is lets callers outside this package decide on the answers that carry
// meaning (entra.ErrConflict, entra.ErrNotFound) without parsing text.
func (e *graphError) Is(target error) bool {
	switch target {
	case entra.ErrConflict:
		return e.Status == 409
	case entra.ErrNotFound:
		return e.Status == 404
	}
	return false
}

func (c *call) failed() *graphError {
	if c.status < 400 {
		return nil
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(c.body, &body)
	return &graphError{Status: c.status, Code: body.Error.Code, Message: body.Error.Message}
}

// runBatches sends calls in $batch requests of 20, sharing round trips
// with whatever else this Backend is sending (see scheduler), retrying
// throttled items; it fills each call's status and body.
func (b *Backend) runBatches(ctx context.Context, calls []*call) error {
	pending := calls
	for attempt := 0; len(pending) > 0; attempt++ {
		sub := b.sched.run(ctx, pending)
		if sub.err != nil {
			return sub.err
		}
		if len(sub.retry) == 0 {
			return nil
		}
		if attempt == maxItemRetries {
			for _, c := range sub.retry {
				if c.answered != nil {
					c.answered()
				}
			}
			return nil // the calls keep their 429/503 answers
		}
		wait := sub.wait
		if sub.lagging {
			// Replication: 1, 2, 4, 8, 16, 16 s, about 47 s in all.
			wait = max(wait, float64(min(1<<attempt, 16)))
		}
		d := time.Duration(math.Ceil(max(wait, 1)) * float64(time.Second))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		pending = sub.retry
	}
	return nil
}

// sendBatchRetrying sends one $batch, and sends it again with backoff
// when the batch as a whole failed. A batch that creates a group is not
// sent again: Graph may have created it before the answer was lost, and
// a second create would at best be refused for its uniqueName (the next
// run recognises the first create by that uniqueName and finishes it).
func (b *Backend) sendBatchRetrying(ctx context.Context, chunk []*call) ([]*call, float64, error) {
	wait := batchBackoff
	for attempt := 0; ; attempt++ {
		again, after, err := b.sendBatch(ctx, chunk)
		if status := apiStatus(err); status == 401 || status == 403 {
			return nil, 0, fmt.Errorf("graph answered %d: not authorized (the token was refused: expired, revoked, or lacking a permission); nothing more was sent, and a re-run with a valid credential continues", status)
		}
		if err == nil || ctx.Err() != nil || attempt == maxBatchRetries || slices.ContainsFunc(chunk, creates) {
			return again, after, err
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// replicating reports Graph's answer to a request that refers to an
// object created moments ago and not replicated yet ("add member" on a new
// group): the same request succeeds a little later.
func replicating(c *call) bool {
	e := c.failed()
	return e != nil && e.Status == 400 && strings.Contains(e.Message, "objects being referenced do not exist")
}

// apiStatus is the HTTP status of a failed request as the SDK reports it,
// or 0.
func apiStatus(err error) int {
	var e abstractions.ApiErrorable
	if errors.As(err, &e) {
		return e.GetStatusCode()
	}
	return 0
}

// creates reports whether a call creates an object (POST to a collection
// that is not a $ref or an extension), which is not safe to repeat.
func creates(c *call) bool {
	if c.info.Method != abstractions.POST {
		return false
	}
	u := c.info.PathParameters["baseurl"]
	return !strings.HasSuffix(u, "/$ref") && !strings.HasSuffix(u, "/extensions")
}

// sendBatch sends one $batch and returns the items to retry and the
// longest Retry-After among them. A panic inside the SDK (it has panicked
// on an empty answer) is a failed batch, never a crash.
func (b *Backend) sendBatch(ctx context.Context, chunk []*call) (retry []*call, wait float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			retry, wait, err = nil, 0, fmt.Errorf("$batch: the answer could not be read: %v", r)
		}
	}()
	writes := 0
	for _, c := range chunk {
		if c.info.Method != abstractions.GET {
			writes++
		}
	}
	if writes > 0 {
		if err := b.writes.WaitN(ctx, writes); err != nil {
			return nil, 0, err
		}
	}
	req := msgraphcore.NewBatchRequest(b.c.Adapter)
	ids := make([]string, len(chunk))
	for i, c := range chunk {
		item, err := req.AddBatchRequestStep(*c.info)
		if err != nil {
			return nil, 0, err
		}
		ids[i] = *item.GetId()
	}
	b.c.batched.Add(1)
	b.c.batchItems.Add(int64(len(chunk)))
	rawCtx, raw := withRawBodies(ctx)
	resp, err := req.Send(rawCtx, b.c.Adapter)
	if err != nil {
		return nil, 0, fmt.Errorf("$batch: %w", err)
	}
	if resp == nil {
		return nil, 0, fmt.Errorf("$batch: an empty answer")
	}
	for i, c := range chunk {
		item := resp.GetResponseById(ids[i])
		if item == nil || item.GetStatus() == nil {
			c.status, c.err = 0, fmt.Errorf("$batch: no response for an item")
			continue
		}
		c.status = int(*item.GetStatus())
		if body, ok := raw.body(ids[i]); ok {
			c.body = body
		} else {
			c.body, _ = json.Marshal(item.GetBody())
		}
		if replicating(c) {
			retry = append(retry, c)
			continue
		}
		switch c.status {
		case 429, 503, 504:
			retry = append(retry, c)
			for k, v := range item.GetHeaders() {
				if strings.EqualFold(k, "Retry-After") {
					if f, err := strconv.ParseFloat(v, 64); err == nil {
						wait = max(wait, f)
					}
				}
			}
		}
	}
	return retry, wait, nil
}

// page is one page of a collection.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// nextPage is the request for a listing's next page: its link, with the
// headers of the request that listed the first (ConsistencyLevel).
func (b *Backend) nextPage(link string, first *abstractions.RequestInformation) *abstractions.RequestInformation {
	info := abstractions.NewRequestInformation()
	info.Method = abstractions.GET
	info.UrlTemplate = "{+baseurl}"
	info.PathParameters = map[string]string{"baseurl": link}
	info.Headers.AddAll(first.Headers)
	return info
}

// listAll runs several collection requests and follows every nextLink,
// sending the next pages of all collections together, so n collections of
// p pages cost about p round trips, not n·p. Items are decoded as T.
func listAll[T any](ctx context.Context, b *Backend, infos []*abstractions.RequestInformation) ([][]T, error) {
	out := make([][]T, len(infos))
	err := eachPage(ctx, b, infos, func(i int, items []T) { out[i] = append(out[i], items...) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachPage is listAll handing each page's items, decoded as T, to use as
// the page arrives (with the index of its collection in infos), so that
// neither the page nor its items need outlive it.
func eachPage[T any](ctx context.Context, b *Backend, infos []*abstractions.RequestInformation, use func(int, []T)) error {
	// A page is decoded as soon as its $batch is answered (runBatches
	// calls answered one at a time), so a round of thousands of listings
	// holds the bodies of the batches in flight, not of all of them.
	type cursor struct {
		index   int
		c       *call
		decoded bool
		err     error
		next    string
	}
	progressed := entra.Progressed(ctx)
	decode := func(cur *cursor) {
		if cur.decoded || cur.c.failed() != nil || cur.c.err != nil {
			return
		}
		cur.decoded = true
		var p page[T]
		if err := json.Unmarshal(cur.c.body, &p); err != nil {
			cur.err = fmt.Errorf("decoding a page: %w", err)
			return
		}
		cur.c.body = nil
		use(cur.index, p.Value)
		cur.next = p.NextLink
	}
	track := func(index int, c *call, first bool) *cursor {
		cur := &cursor{index: index, c: c}
		c.answered = func() {
			if first && progressed != nil {
				// A collection counts once, when its first page arrives.
				progressed(1)
			}
			decode(cur)
		}
		return cur
	}
	var round []*cursor
	for i, info := range infos {
		round = append(round, track(i, &call{info: info}, true))
	}
	seen := make([]map[string]bool, len(infos))
	pages := make([]int, len(infos))
	for len(round) > 0 {
		calls := make([]*call, len(round))
		for i, cur := range round {
			calls[i] = cur.c
		}
		if err := b.runBatches(ctx, calls); err != nil {
			return err
		}
		var next []*cursor
		for _, cur := range round {
			if e := cur.c.failed(); e != nil {
				return e
			}
			if cur.c.err != nil {
				return cur.c.err
			}
			decode(cur)
			if cur.err != nil {
				return cur.err
			}
			if cur.next == "" {
				continue
			}
			if seen[cur.index] == nil {
				seen[cur.index] = map[string]bool{}
			}
			pages[cur.index]++
			switch {
			case seen[cur.index][cur.next]:
				return fmt.Errorf("the server sent the same @odata.nextLink twice (%s); stopping instead of looping", cur.next)
			case pages[cur.index] >= maxPages:
				return fmt.Errorf("a listing went on for more than %d pages; stopping", maxPages)
			}
			seen[cur.index][cur.next] = true
			next = append(next, track(cur.index, &call{info: b.nextPage(cur.next, cur.c.info)}, false))
		}
		round = next
	}
	return nil
}
