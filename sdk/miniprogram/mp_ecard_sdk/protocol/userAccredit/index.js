// A protocol the person reads before the E证通 verification; text only.
Page({});
