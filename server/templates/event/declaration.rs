    KithTemplate => "kith-template" v 1;
