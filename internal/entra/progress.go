package entra

import "context"

// A Reader or Writer reports how far a long call has got through the
// context, as net/http/httptrace does for a request: the caller that draws
// a bar asks for it, and every other caller pays nothing.

type progressKey struct{}

// WithProgress returns a context under which a call reports units of work
// as their answers arrive (once per $batch answered, not once per call):
//
//   - Writer.Apply: members or owners written, or one per operation
//     without ids, so the units add up to what a plan counts;
//   - Reader.Relations: groups whose members, or owners, have been read
//     (their first page), so the units add up to
//     len(q.Members) + len(q.Owners); service principal reads add none.
//
// progressed may be called from several goroutines at once.
func WithProgress(ctx context.Context, progressed func(n int)) context.Context {
	return context.WithValue(ctx, progressKey{}, progressed)
}

// Progressed is the function WithProgress put in ctx, or nil.
func Progressed(ctx context.Context) func(n int) {
	f, _ := ctx.Value(progressKey{}).(func(int))
	return f
}
