package ginsms_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
)

// A provider of one's own plugs in as a function. It must give up when ctx ends (the
// Service bounds it by sender.timeout), should wrap ErrSend, and must not put the code
// or a credential in its error: errors are logged.
func ExampleSenderFunc() {
	sender := ginsms.SenderFunc(func(ctx context.Context, phone, code string) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: pigeon: %w", ginsms.ErrSend, err)
		}
		// Call the provider here, passing ctx along.
		fmt.Printf("to %s: your code is %s\n", ginsms.MaskPhone(phone), code)
		return nil
	})

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // New does not connect
	defer rdb.Close()
	if _, err := ginsms.New(rdb, ginsms.DefaultConfig(), ginsms.WithSender(sender)); err != nil {
		log.Fatal(err)
	}

	// What the Service does for each code:
	if err := sender.Send(context.Background(), "13800138000", "123456"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// to 138****8000: your code is 123456
}

// The default sender only logs, for demos: the phone masked and the code.
func ExampleNewSender() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // a stable output for this example
			}
			return a
		},
	}))
	sender, err := ginsms.NewSender(ginsms.DefaultSenderConfig(), logger)
	if err != nil {
		log.Fatal(err)
	}
	if err := sender.Send(context.Background(), "13800138000", "123456"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// level=WARN msg="ginsms: sender.kind is log: SMS codes are written to the log and not sent; for demos only"
	// level=INFO msg="ginsms: sms code (log sender, not sent)" phone=138****8000 code=123456
}
