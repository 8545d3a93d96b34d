export { fakeMessage as msg } from '@chat/testkit';
