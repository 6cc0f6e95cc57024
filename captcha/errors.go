package captcha

import (
	"github.com/ginsms/ginsms/internal/cfgerr"
	"github.com/ginsms/ginsms/internal/contract"
)

// ErrInvalidConfig is wrapped by every error of Config.Validate and NewStore: the
// module's one configuration error, the same value as ginsms.ErrInvalidConfig.
var ErrInvalidConfig = cfgerr.ErrInvalidConfig

// storageError names the failed step (for logs and the storage-error metric) around err.
func storageError(step string, err error) error {
	return &contract.StorageError{Op: "captcha", Step: step, Err: err}
}
