export * from './acknowledgments';
export * from './library-wildcards';
