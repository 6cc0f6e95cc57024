// Package config reads ginsms's settings from a YAML file and the environment (Load),
// and builds the go-redis client they describe (NewRedisClient). It is the one package of
// the module that imports viper: an application that fills a ginsms.Config in Go does
// not import it.
//
//	cfg, err := config.Load("app.yaml", "sms_verification") // or "" for a file of its own
//	if err != nil {
//		log.Fatal(err) // every problem at once, by its path in the file
//	}
//	rdb := config.NewRedisClient(cfg.Redis)
//	sms, err := ginsms.Register(router, rdb, cfg)
package config
