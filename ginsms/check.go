package ginsms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/internal/redisx"
)

// Check proves that Redis answers and holds every script of ginsms, in one round trip
// (to every master of a Cluster client, in parallel); a script a server lacks is loaded,
// which costs one more round trip, once. Call it at start-up, and from a readiness probe.
//
// It also refuses a topology that cannot work, which New cannot see from the client's
// type: a client that does not follow cluster redirects (a plain client given one node of
// a Cluster), templates that split a phone's keys over cluster slots behind an
// autopipeliner, and sms.replica_acks on a Cluster reached other than through a
// *redis.ClusterClient. Errors wrap ErrStorage when Redis failed, ErrInvalidConfig when
// the topology is refused.
func (s *Service) Check(ctx context.Context) error {
	var err error
	if cc, ok := s.store.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return s.checkNode(ctx, node, true)
		})
	} else {
		err = s.checkNode(ctx, s.store.rdb, false)
	}
	if failed := s.cfg.Observer.StorageFailed; failed != nil && errors.Is(err, ErrStorage) {
		failed("check")
	}
	return err
}

// probeKeys are keys of 16 hash tags, spread over the cluster slots, that a client which
// does not follow redirects cannot all reach through one node.
var probeKeys = func() []string {
	out := make([]string, 16)
	for i := range out {
		out[i] = "{ginsms-check-" + strconv.Itoa(i) + "}"
	}
	return out
}()

func (s *Service) checkNode(ctx context.Context, rdb redis.UniversalClient, clusterAware bool) error {
	hashes := make([]any, 0, 2+len(scripts))
	hashes = append(hashes, "script", "exists")
	for _, sc := range scripts {
		hashes = append(hashes, sc.Hash())
	}
	exists := redisx.Once(ctx, hashes...)
	info := redisx.Once(ctx, "info", "cluster")
	// A server that answers INFO CLUSTER with an error reply (one without the section,
	// such as miniredis or a proxy, or a user whose ACL denies INFO) answered: it is
	// reachable, and is taken for no Cluster node, as if it had said cluster_enabled:0.
	if err := redisx.Run(ctx, rdb, exists, info); err != nil && (exists.Err() != nil || !isReply(info.Err())) {
		return storageError("check", "script exists, info", err)
	}
	if text, _ := info.Text(); strings.Contains(text, "cluster_enabled:1") {
		if err := s.checkCluster(ctx, rdb, clusterAware); err != nil {
			return err
		}
	}
	loaded, err := exists.BoolSlice()
	if err != nil {
		return storageError("check", "script exists", err)
	}
	var loads []redis.Cmder
	for i, ok := range loaded {
		if !ok && i < len(scripts) {
			loads = append(loads, redisx.Once(ctx, "script", "load", scripts[i].Source()))
		}
	}
	if len(loads) > 0 {
		if err := redisx.Run(ctx, rdb, loads...); err != nil {
			return storageError("check", "script load", err)
		}
	}
	return nil
}

// checkCluster refuses what cannot work on a Cluster.
func (s *Service) checkCluster(ctx context.Context, rdb redis.UniversalClient, clusterAware bool) error {
	if err := sameSlot(s.cfg.SMS); err != nil {
		return err
	}
	if clusterAware {
		return nil
	}
	probes := make([]redis.Cmder, len(probeKeys))
	for i, k := range probeKeys {
		probes[i] = redisx.Once(ctx, "exists", k)
	}
	err := redisx.Run(ctx, rdb, probes...)
	for _, p := range probes {
		if e := p.Err(); e != nil && (strings.HasPrefix(e.Error(), "MOVED ") || strings.HasPrefix(e.Error(), "ASK ")) {
			return fmt.Errorf("%w: redis: the server is a Cluster node, and the client does not follow its redirects: "+
				"connect with a cluster client (redis.addrs with every node, or redis.cluster: true for one seed address)", ErrInvalidConfig)
		}
	}
	if err != nil {
		return storageError("check", "cluster probe", err)
	}
	if s.store.replicas > 0 {
		return fmt.Errorf("%w: sms.replica_acks: on a Cluster it needs a *redis.ClusterClient handed to ginsms as it is "+
			"(WAIT must follow the write to the phone's primary), not an autopipeliner over one", ErrInvalidConfig)
	}
	return nil
}

// isReply reports whether err is an error reply of the server, as opposed to a failure to
// reach it.
func isReply(err error) bool {
	var reply redis.Error
	return errors.As(err, &reply)
}
