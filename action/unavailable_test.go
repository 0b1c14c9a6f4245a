package action_test

// unavailable are the commands whose core operation has not landed in this build.
var unavailable = []string{"proxy-create", "cutover", "sequences", "fence", "proxy-remove"}
